import { APIResource } from '../resource.js';

export class IdentityProviders extends APIResource {}
