import { APIResource } from '../resource.js';

export class Dependencies extends APIResource {}
