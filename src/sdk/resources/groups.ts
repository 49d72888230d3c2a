import { APIResource } from '../resource.js';

export class Groups extends APIResource {}
