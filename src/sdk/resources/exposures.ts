import { APIResource } from '../resource.js';

export class Exposures extends APIResource {}
