import { APIResource } from '../resource.js';

export class Badges extends APIResource {}
