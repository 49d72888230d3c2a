import { APIResource } from '../resource.js';

export class Interfaces extends APIResource {}
