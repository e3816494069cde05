export declare const ENGINE: 'v2' | 'v3';
export declare const SURREALDB: 2 | 3;
export declare const MEM: { readonly url: 'mem://'; readonly surrealdb: 2 | 3 };
