/** Studies that chain training runs: pretrain on a source domain, adapt with each method, compare. */
package ai.peft4j.app.study;
