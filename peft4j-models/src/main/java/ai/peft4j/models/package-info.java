/**
 * Models by name ({@link ai.peft4j.models.ModelSpec}: what the command line and configuration files build) and the
 * contract of dense-prediction backbones ({@link ai.peft4j.models.FeatureBackbone}).
 */
package ai.peft4j.models;
