import { APIResource } from '../resource.js';

export class Instances extends APIResource {}
