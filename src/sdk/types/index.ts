export type * from './common.js';
export type * from './products.js';
export type * from './product-licenses.js';
export type * from './screenshots.js';
