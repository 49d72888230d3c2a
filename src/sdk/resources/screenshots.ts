import { APIResource } from '../resource.js';

export class Screenshots extends APIResource {}
