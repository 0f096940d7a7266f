/**
 * Text that may hold YAML anchors or aliases. Such files go through `yaml`, which bounds alias
 * expansion; the js-yaml fast paths would share references and let later stages walk an
 * exponential graph.
 */
export const ANCHOR_OR_ALIAS = /(^|[\s[{,])[&*][^\s,\]}]/m;
