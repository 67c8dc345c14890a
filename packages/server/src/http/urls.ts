import { z } from 'zod';

/** A URL Tollgate sends a browser to: http(s) only, bounded. */
export const redirectUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(2048);
