export { SendThread } from './thread';
export { fetchInWindow, SendLateError, sendLateCause, SEND_WINDOW, windowOf, type SendWindow } from './window';
