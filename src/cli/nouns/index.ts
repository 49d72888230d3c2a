/** Every resource noun of the CLI. */
import type { NounSpec } from '../resource-command.js';
import { products } from './products.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a list of differently typed nouns
export const nouns: NounSpec<any>[] = [products];
