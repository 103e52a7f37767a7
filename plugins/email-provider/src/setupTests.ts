import '@testing-library/jest-dom';

// The form tests type into many fields with user-event, which takes a few seconds of jsdom work
// per test; on a busy two-core CI machine that alone passed jest's default 5 s.
jest.setTimeout(30_000);
