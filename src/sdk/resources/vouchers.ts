import { APIResource } from '../resource.js';

export class Vouchers extends APIResource {}
