// The one import of TensorFlow.js. Its console warnings are switched off (PROD mode silences
// only tfjs's own warn/log calls): the "install our node backend" banner that the pure-JS CPU
// backend prints on first use points a Rudder user at a package that cannot install here, and
// the backend Rudder chose is recorded with every model version and reported by Rudder itself.
import * as tf from '@tensorflow/tfjs';

tf.env().set('PROD', true);

export { tf };
