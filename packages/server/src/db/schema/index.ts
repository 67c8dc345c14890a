export * from './billing.js';
export * from './core.js';
export * from './credits.js';
export * from './invariants.js';
export * from './metering.js';
export * from './notifications.js';
export * from './stripe-catalog.js';
