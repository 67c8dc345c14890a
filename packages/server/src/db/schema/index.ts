export * from './core.js';
export * from './credits.js';
