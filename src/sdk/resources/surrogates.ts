import { APIResource } from '../resource.js';

export class Surrogates extends APIResource {}
