import { APIResource } from '../resource.js';

export class Session extends APIResource {}
