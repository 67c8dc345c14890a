export * from './core.js';
export * from './metering.js';
