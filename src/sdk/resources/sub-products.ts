import { APIResource } from '../resource.js';

export class SubProducts extends APIResource {}
