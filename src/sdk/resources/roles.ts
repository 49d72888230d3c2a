import { APIResource } from '../resource.js';

export class Roles extends APIResource {}
