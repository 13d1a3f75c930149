#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { ConfigError } from '../lib/config';
import { addRelayStack } from '../lib/relay-app';
import { ResidencyError } from '../lib/residency';

const app = new App();
try {
  addRelayStack(app);
} catch (error) {
  // A configuration mistake is the operator's to fix: one line that names it, not a stack trace.
  if (error instanceof ConfigError || error instanceof ResidencyError) {
    console.error(`configuration error: ${error.message}`);
    process.exit(1);
  }
  throw error;
}
app.synth();
