// The float32 rule is shared by the query layer and the dialects (which sit below it).
export { float32Value, isFloat32Column } from '../util/float32.js';
