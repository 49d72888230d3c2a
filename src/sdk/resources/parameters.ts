import { APIResource } from '../resource.js';

export class Parameters extends APIResource {}
