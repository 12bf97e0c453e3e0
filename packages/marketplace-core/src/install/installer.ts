// The installer's public operations, one module each (see STYLE.md): spec parsing, install,
// the shared apply path, update, remove and list.
export { parsePackageSpec } from './package-spec.js';
export { installPackages } from './install-packages.js';
export { updatePackages } from './update-packages.js';
export { removePackage } from './remove-package.js';
export { listInstalledPackages } from './list-installed.js';
