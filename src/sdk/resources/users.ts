import { APIResource } from '../resource.js';

export class Users extends APIResource {}
