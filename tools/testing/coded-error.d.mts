export function codeOf(promise: Promise<unknown>): Promise<string>;
