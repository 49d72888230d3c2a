import { APIResource } from '../resource.js';

export class ProductLicenses extends APIResource {}
