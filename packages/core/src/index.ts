export * from './billing-period.js';
export * from './catalog/catalog.js';
export * from './catalog/demo-catalog.js';
export * from './catalog/schema.js';
export * from './credits/index.js';
export * from './decimal.js';
