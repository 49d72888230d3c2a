import { APIResource } from '../resource.js';

export class Platforms extends APIResource {}
