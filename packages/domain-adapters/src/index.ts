export * from './select-backend.js';
export * from './migrate-registry.js';
