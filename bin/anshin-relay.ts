#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { addRelayStack } from '../lib/relay-app';

const app = new App();
addRelayStack(app);
app.synth();
