import { APIResource } from '../resource.js';

export class Entitlements extends APIResource {}
