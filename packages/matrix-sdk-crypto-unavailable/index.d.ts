export declare const isAvailable: false;
