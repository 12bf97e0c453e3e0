/**
 * The site's only two assets, served from /-/site/ (the CSP allows scripts and styles from the
 * site itself and nothing inline). The theme follows the user's setting (prefers-color-scheme);
 * the script only adds: a copy button beside an install command, and `/` to reach the search box.
 */

export const STYLE = `:root {
  color-scheme: light dark;
  --bg: #ffffff; --fg: #1b1f24; --muted: #4f5861; --line: #d0d7de; --panel: #f6f8fa;
  --link: #0a58ca; --accent: #1a7f37; --warn: #9a3412; --bad: #b42318; --focus: #0a58ca;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0d1117; --fg: #e6edf3; --muted: #9ea7b3; --line: #30363d; --panel: #161b22;
    --link: #6cb6ff; --accent: #56d364; --warn: #f0a35e; --bad: #ff7b72; --focus: #6cb6ff;
  }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; }
a { color: var(--link); }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.9em; }
pre { background: var(--panel); padding: 0.75rem; overflow-x: auto; border-radius: 6px; }
.skip { position: absolute; left: -9999px; }
.skip:focus { left: 1rem; top: 1rem; background: var(--bg); padding: 0.5rem; z-index: 1; }
.hidden-label { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
.top { display: flex; flex-wrap: wrap; gap: 0.75rem 1.5rem; align-items: center; padding: 0.75rem 1.5rem; border-bottom: 1px solid var(--line); background: var(--panel); }
.brand { font-weight: 700; font-size: 1.15rem; text-decoration: none; color: var(--fg); }
.search { display: flex; flex: 1 1 18rem; gap: 0.5rem; max-width: 40rem; }
.search input { flex: 1; min-width: 0; }
input, select, button { font: inherit; color: var(--fg); background: var(--bg); border: 1px solid var(--line); border-radius: 6px; padding: 0.35rem 0.6rem; }
button { cursor: pointer; background: var(--panel); }
main { max-width: 72rem; margin: 0 auto; padding: 1rem 1.5rem 3rem; overflow-wrap: anywhere; }
.bottom { border-top: 1px solid var(--line); padding: 1rem 1.5rem; color: var(--muted); font-size: 0.9rem; }
.hero h1 { margin-bottom: 0.25rem; }
.columns { display: grid; grid-template-columns: repeat(auto-fit, minmax(16rem, 1fr)); gap: 1.5rem; }
.compact { padding-left: 1.25rem; }
.compact li { margin: 0.2rem 0; }
.version, .count, time, .meta, .note, .empty { color: var(--muted); }
.version { font-size: 0.9em; }
.filters { display: flex; flex-wrap: wrap; gap: 0.5rem 1rem; align-items: end; margin: 1rem 0; }
.filters label { display: flex; flex-direction: column; font-size: 0.9rem; color: var(--muted); }
.results { list-style: none; padding: 0; }
.result { border-bottom: 1px solid var(--line); padding: 0.5rem 0; }
.result h2 { margin: 0; font-size: 1.1rem; }
.result p { margin: 0.25rem 0; }
.pager { display: flex; gap: 1rem; margin-top: 1rem; }
.mark { font-weight: 600; }
.signed { color: var(--accent); }
.unsigned, .warning, .deprecated { color: var(--warn); }
.yanked { color: var(--bad); }
.package-head h1 { margin-bottom: 0.25rem; }
.install { display: flex; flex-wrap: wrap; gap: 0.5rem; align-items: center; margin: 0.75rem 0; }
.command { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 0.35rem 0.6rem; }
.package-body { display: grid; grid-template-columns: minmax(0, 1fr) 20rem; gap: 2rem; }
@media (max-width: 48rem) { .package-body { grid-template-columns: minmax(0, 1fr); } .top { padding: 0.75rem 1rem; } main { padding: 1rem; } }
.facts { display: grid; grid-template-columns: auto minmax(0, 1fr); gap: 0.25rem 0.75rem; }
.facts dt { color: var(--muted); }
.facts dd { margin: 0; }
.plain { list-style: none; padding: 0; }
.plain li { margin: 0.2rem 0; }
.tag { font-family: ui-monospace, monospace; background: var(--panel); border: 1px solid var(--line); border-radius: 4px; padding: 0 0.3rem; }
.key, .digest { word-break: break-all; }
.keys { padding-left: 1.25rem; }
.markdown { border-top: 1px solid var(--line); }
.markdown table { border-collapse: collapse; }
.markdown th, .markdown td { border: 1px solid var(--line); padding: 0.25rem 0.5rem; }
.error-message { font-size: 1.1rem; }
`;

export const SCRIPT = `'use strict';
document.addEventListener('DOMContentLoaded', () => {
  const search = document.getElementById('q');
  document.addEventListener('keydown', (event) => {
    const target = event.target;
    const typing = target instanceof HTMLInputElement || target instanceof HTMLSelectElement || target instanceof HTMLTextAreaElement;
    if (event.key === '/' && !typing && search instanceof HTMLInputElement) {
      event.preventDefault();
      search.focus();
    }
  });
  for (const command of document.querySelectorAll('code.command')) {
    if (!navigator.clipboard) continue;
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = 'Copy';
    button.setAttribute('aria-label', 'Copy the install command');
    button.addEventListener('click', () => {
      navigator.clipboard.writeText(command.textContent || '').then(
        () => { button.textContent = 'Copied'; },
        () => { button.textContent = 'Copy failed'; },
      );
    });
    command.after(button);
  }
});
`;

/** The site's icon (a browser asks for one on every page; without it, each page logs a 404). */
export const ICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#1a7f37"/>\
<path d="M9 11h14v3H12v4h8v3h-8v4H9z" fill="#fff"/></svg>`;
