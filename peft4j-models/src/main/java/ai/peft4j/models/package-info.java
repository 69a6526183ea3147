/** Models by name: what the command line and configuration files build. */
package ai.peft4j.models;
