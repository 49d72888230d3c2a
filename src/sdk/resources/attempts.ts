import { APIResource } from '../resource.js';

export class Attempts extends APIResource {}
