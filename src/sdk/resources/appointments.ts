import { APIResource } from '../resource.js';

export class Appointments extends APIResource {}
