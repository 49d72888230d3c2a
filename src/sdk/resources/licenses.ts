import { APIResource } from '../resource.js';

export class Licenses extends APIResource {}
