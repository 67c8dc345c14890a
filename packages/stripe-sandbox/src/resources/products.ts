import { inRange, type ListParams, listParams, paginate } from '../http/list.js';
import {
  any,
  arr,
  bool,
  decimal,
  int,
  metadata,
  obj,
  oneOf,
  required,
  type Spec,
  str,
  validateParams,
} from '../http/params.js';
import type { Router } from '../http/router.js';
import { registerSearchRoute } from '../http/search.js';
import { deletedObject, previousAttributes } from './common.js';
import { createPrice, type PriceInput } from './price-create.js';
import { applyProductInput, createProduct, type Product, type ProductInput } from './product-create.js';

const editable: Record<string, Spec> = {
  active: bool(),
  description: str({ nullable: true }),
  metadata: metadata(),
  name: str(),
  tax_code: str({ nullable: true }),
  unit_label: str({ nullable: true }),
  images: arr(str(), { nullable: true }),
  marketing_features: arr(obj({ name: required(str()) }), { nullable: true }),
  url: str({ nullable: true }),
  statement_descriptor: str({ nullable: true }),
  shippable: bool(),
  default_price: str(),
};

export function registerProducts(router: Router): void {
  router.api('POST', '/v1/products', ({ sandbox, body }) => {
    const input = validateParams<ProductInput & { default_price_data?: Omit<PriceInput, 'product'> }>(
      {
        ...editable,
        id: str(),
        name: required(str()),
        default_price_data: obj({
          currency: required(str()),
          unit_amount: int(),
          unit_amount_decimal: decimal(),
          recurring: obj({
            interval: required(oneOf(['day', 'week', 'month', 'year'])),
            interval_count: int(),
          }),
          tax_behavior: oneOf(['exclusive', 'inclusive', 'unspecified']),
          metadata: metadata(),
        }),
      },
      body,
    );
    const { default_price_data: priceData, ...productInput } = input;
    const product = createProduct(sandbox, productInput);
    if (!priceData) return product;
    // The product's price is created after it and becomes its default, as Stripe does in one call.
    const price = createPrice(sandbox, { ...priceData, product: product.id });
    product.default_price = price.id;
    sandbox.store.put('products', product);
    return product;
  });
  registerSearchRoute(router, '/v1/products', 'products');
  router.api('GET', '/v1/products/:id', ({ sandbox, body, params }) => {
    validateParams({}, body);
    return sandbox.store.require<Product>('products', params.id as string, 'product');
  });
  router.api('POST', '/v1/products/:id', ({ sandbox, body, params }) => {
    const product = sandbox.store.require<Product>('products', params.id as string, 'product');
    const before = structuredClone(product);
    applyProductInput(product, validateParams<ProductInput>(editable, body));
    product.updated = sandbox.now();
    sandbox.store.put('products', product);
    sandbox.emit('product.updated', product, { previous: previousAttributes(before, product) });
    return product;
  });
  router.api('DELETE', '/v1/products/:id', ({ sandbox, params }) => {
    const product = sandbox.store.require<Product>('products', params.id as string, 'product');
    sandbox.store.remove('products', product.id);
    sandbox.emit('product.deleted', product);
    return deletedObject(product.id, 'product');
  });
  router.api('GET', '/v1/products', ({ sandbox, body }) => {
    const params = validateParams<ListParams & { active?: boolean; ids?: string[]; created?: unknown }>(
      { ...listParams, active: bool(), ids: arr(str()), created: any() },
      body,
    );
    const rows = sandbox.store
      .all<Product>('products')
      .filter((row) => params.active === undefined || row.active === params.active)
      .filter((row) => params.ids === undefined || params.ids.includes(row.id))
      .filter((row) => inRange(row.created, params.created));
    return paginate(rows, params, '/v1/products');
  });
}
