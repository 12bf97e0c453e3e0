export function ggenShim(dir: string, bundle: string): string;
