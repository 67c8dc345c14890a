import type Stripe from 'stripe';
import { errors } from '../http/errors.js';
import type { Sandbox } from '../sandbox.js';
import { newId } from '../state/ids.js';
import type { Wire } from '../wire.js';
import { mergeMetadata } from './common.js';

export type Product = Wire<Stripe.Product>;

export interface ProductInput {
  id?: string;
  active?: boolean;
  description?: string | null;
  metadata?: Record<string, string | null> | null;
  name?: string;
  tax_code?: string | null;
  unit_label?: string | null;
  images?: string[] | null;
  marketing_features?: { name: string }[] | null;
  url?: string | null;
  statement_descriptor?: string | null;
  shippable?: boolean;
  default_price?: string;
}

export function applyProductInput(product: Product, input: ProductInput): void {
  if (input.active !== undefined) product.active = input.active;
  if (input.description !== undefined) product.description = input.description;
  if (input.name !== undefined) product.name = input.name;
  if (input.tax_code !== undefined) product.tax_code = input.tax_code;
  if (input.unit_label !== undefined) product.unit_label = input.unit_label;
  if (input.images !== undefined) product.images = input.images ?? [];
  if (input.marketing_features !== undefined) product.marketing_features = input.marketing_features ?? [];
  if (input.url !== undefined) product.url = input.url;
  if (input.statement_descriptor !== undefined) product.statement_descriptor = input.statement_descriptor;
  if (input.shippable !== undefined) product.shippable = input.shippable;
  if (input.default_price !== undefined) product.default_price = input.default_price;
  if (input.metadata !== undefined) product.metadata = mergeMetadata(product.metadata, input.metadata);
}

export function createProduct(sandbox: Sandbox, input: ProductInput): Product {
  const id = input.id ?? newId('prod', 14);
  if (sandbox.store.get('products', id)) {
    throw errors.alreadyExists(`Product already exists.`, 'id');
  }
  const now = sandbox.now();
  const product: Product = {
    id,
    object: 'product',
    active: true,
    created: now,
    default_price: null,
    description: null,
    images: [],
    livemode: false,
    marketing_features: [],
    metadata: {},
    name: input.name ?? '',
    package_dimensions: null,
    shippable: null,
    statement_descriptor: null,
    tax_code: null,
    tax_details: null,
    type: 'service',
    unit_label: null,
    updated: now,
    url: null,
  };
  applyProductInput(product, { ...input, default_price: undefined });
  sandbox.store.insert('products', product);
  sandbox.emit('product.created', product);
  return product;
}
