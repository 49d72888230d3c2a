import { APIResource } from '../resource.js';

export class Claims extends APIResource {}
