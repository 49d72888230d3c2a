import { APIResource } from '../resource.js';

export class Identities extends APIResource {}
