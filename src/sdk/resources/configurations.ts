import { APIResource } from '../resource.js';

export class Configurations extends APIResource {}
