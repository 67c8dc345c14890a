import type { Config } from './config.js';

/** pino options: secrets never reach the log, whatever a future log line includes. */
export function loggerOptions(level: Config['logLevel']) {
  return {
    level,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'req.headers["stripe-signature"]',
        'headers.authorization',
        '*.secret',
        '*.token',
        '*.password',
        '*.adminKey',
        '*.secretKey',
      ],
      censor: '[redacted]',
    },
  };
}
