import { APIResource } from '../resource.js';

export class Builds extends APIResource {}
