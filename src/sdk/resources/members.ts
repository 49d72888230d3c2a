import { APIResource } from '../resource.js';

export class Members extends APIResource {}
