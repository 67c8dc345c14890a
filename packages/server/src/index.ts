export { type Config, loadConfig } from './config.js';
export type { App, AppContext } from './http/context.js';
export { createTollgate, type Tollgate, type TollgateOptions } from './tollgate.js';
