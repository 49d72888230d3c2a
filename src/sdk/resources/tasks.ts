import { APIResource } from '../resource.js';

export class Tasks extends APIResource {}
